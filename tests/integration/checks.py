"""What the command-line integration tests share: where the fixtures are, a
pickle that would run a command if Python loaded it, and named checks that
are counted rather than stopping at the first failure."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "fixtures", "models")

_failures = []


def evil_pickle(canary):
    """Protocol 0 `posix.system('touch CANARY')`. Never loaded here."""
    return b"cposix\nsystem\n(S'touch %s'\ntR." % canary.encode()


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        _failures.append(what)


def summary():
    """Prints the failure count; the exit status for the test."""
    print("%d failures" % len(_failures))
    return 1 if _failures else 0
