"""The child side of `gfmbench.hub.routing.call_against_local_hub`: `python -m gfmbench.hub.routed_call CALL ANSWER`
unpickles `(func, args)` from CALL, calls it (this process's HF_ENDPOINT points at the local hub started for it) and
pickles `(True, result)` or `(False, exception)` into ANSWER, written whole or not at all."""

from __future__ import annotations

import pickle
import sys
import traceback
from pathlib import Path


def main(call: str, answer: str) -> int:
    from gfmbench.atomic import atomic_write
    from gfmbench.errors import GfmbenchError

    func, args = pickle.loads(Path(call).read_bytes())
    try:
        outcome: tuple[bool, object] = (True, func(*args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # travels to the caller, which raises it
        note = f"in the child process against the local hub:\n{traceback.format_exc()}"
        if sys.version_info >= (3, 11):
            exc.add_note(note)
        else:  # Python 3.10 has no exception notes: the child's traceback goes to stderr instead
            print(note, file=sys.stderr)
        outcome = (False, exc)
    try:
        data = pickle.dumps(outcome)
        pickle.loads(data)  # an exception whose constructor takes other arguments pickles but does not unpickle
    except Exception:  # an exception (or result) that cannot travel: its message still reaches the caller
        error = outcome[1] if not outcome[0] else None
        data = pickle.dumps((False, GfmbenchError(f"{type(error).__name__}: {error}" if error is not None
                                                  else "the result could not be sent back (not picklable)")))
    atomic_write(answer, data)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
