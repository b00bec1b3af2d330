"""The hub: a local Hugging Face-compatible server over a folder of git repos, and publishing into it
(or into the real Hub) through one API."""
