"""The olah app the local hub runs, with the one route the Hub has and offline olah answers wrongly.

`HfApi().dataset_info(repo)` / `model_info(repo)` without a revision ask `GET /api/<type>s/<org>/<name>`. olah
answers that route by asking huggingface.co for the newest commit, which offline means "repository not found", so
plain Hugging Face code failed against the local hub unless it passed `revision=`. Here that route is answered as the
Hub answers it: the metadata of `main` (olah's own revision route, which reads the mirrored git repo). Everything
else is olah unchanged. Run as `python -c "from gfmbench.hub.olah_app import cli; cli()" --config ...`.
"""

# No `from __future__ import annotations` here: FastAPI reads the handler's annotations at run time (a string
# "Request" would be taken for a query parameter).
from typing import Any


def install_unrevisioned_metadata_route(app: Any) -> None:
    """Put `GET|HEAD /api/{repo_type}/{org}/{repo}` -> the `main` revision first in the app's routes (FastAPI
    matches in order, and olah's own version of the route would answer first otherwise)."""
    from fastapi import Request
    from fastapi.routing import APIRoute
    from olah.server_api_routes import meta_proxy_commit_expanded

    async def metadata_at_main(repo_type: str, org: str, repo: str, request: Request) -> Any:
        return await meta_proxy_commit_expanded(repo_type, org, repo, "main", request)

    route = APIRoute("/api/{repo_type}/{org}/{repo}", metadata_at_main, methods=["GET", "HEAD"])
    app.router.routes.insert(0, route)


def cli() -> None:
    from olah import server

    install_unrevisioned_metadata_route(server.app)
    server.cli()
