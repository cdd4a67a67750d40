# The lesson's leak, plus every way a student who read the runtime's source
# might look for it from the script: the frames below the module's, what the
# replaced functions hold, the weak references' callbacks, the __init__
# wrappers.  It prints what each route gives, so the test can check that none
# leads to the runtime's namespace.
import builtins
import gc
import os
import sys
import tracemalloc
import weakref

found = []


def look(route, get):
    try:
        ns = get()
    except Exception as e:
        found.append("%s: %s" % (route, type(e).__name__))
        return
    names = sorted(k for k in ns if isinstance(k, str) and not k.startswith("__"))
    found.append("%s: %s" % (route, ",".join(names[:8])))


class Game:
    def __init__(self, name):
        self.name = name
        self.players = []


class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = game


g = Game("probe")
try:
    below = sys._getframe(1)    # a plain run: ValueError, no frame below the module's
except ValueError:
    below = None
look("frame1", lambda: below.f_globals)
look("frame1-locals", lambda: below.f_locals)
look("frame2", lambda: below.f_back.f_globals)
look("frame3", lambda: below.f_back.f_back.f_globals)
look("gc.collect", lambda: gc.collect.__globals__)
look("tracemalloc.start", lambda: tracemalloc.start.__globals__)
look("Snapshot.__init__", lambda: tracemalloc.take_snapshot.__globals__["Snapshot"].__dict__["__init__"].__globals__)
look("os._exit", lambda: os._exit.__globals__)
look("__build_class__", lambda: builtins.__build_class__.__globals__)
look("gc.callbacks", lambda: gc.callbacks[-1].__globals__)
look("Game.__init__", lambda: Game.__init__.__globals__)
look("Game.__init__._gp_register", lambda: Game.__init__.__globals__["_gp_register"].__globals__)
look("weakref callback", lambda: [w for w in weakref.getweakrefs(g) if w.__callback__][0].__callback__.__globals__)
print("wrapped: %s" % hasattr(Game.__init__, "__wrapped__"))
for line in found:
    print(line)
del g


def run_game():
    tracemalloc.start()
    game = Game("The Big Game")
    for i in range(5):
        player = Player(f"Player-{i}", game)
        game.players.append(player)
    snapshot1 = tracemalloc.take_snapshot()
    del game
    gc.collect()
    snapshot2 = tracemalloc.take_snapshot()
    for stat in snapshot2.compare_to(snapshot1, 'lineno')[:10]:
        print(stat)


if __name__ == "__main__":
    run_game()
