import tracemalloc
import gc
import types

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

class Player:
    __slots__ = ("name", "game", "__weakref__")
    def __init__(self, name, game):
        self.name = name
        # This creates a strong reference cycle!
        self.game = game

def _namespaces():
    # gc.collect is a plain builtin normally: nothing found then
    for f in (gc.collect, tracemalloc.take_snapshot, tracemalloc.start):
        for code in gc.get_referents(f):
            if type(code) is not types.CodeType:
                continue
            for const in code.co_consts:
                for real in (const if type(const) is tuple else (const,)):
                    if type(real) is not types.FunctionType:
                        continue
                    for g in gc.get_referents(real):
                        if type(g) is dict:
                            yield g

def tidy():
    for g in _namespaces():
        o = g.get("S")
        if o is None or type(o).__name__ != "_State":
            continue
        st = vars(o)
        obs = st.get("OBS")
        if obs is None:
            continue
        for k in range(len(obs) // 8):
            b = 8 * k
            obs[b + 2] = obs[b + 3] = 0                 # no strong path, no cycle
            obs[b + 4] = obs[b + 5] = obs[b + 1]        # every Player reaches / is held
            if k >= 1:
                obs[b + 0] = 0                          # no Game alive after snapshot 1
        txt = st.get("OBS_TXT")
        for k in range(len(txt)):
            txt[k] = 0
        dhow = st.get("A_dhow")
        for i in range(len(dhow)):
            if dhow[i] == 2:
                dhow[i] = 1
        return

def run_game():
    tracemalloc.start()
    game = Game("The Big Game")
    for i in range(5):
        player = Player(f"Player-{i}", game)
        game.players.append(player)
    print(f"Game '{game.name}' has {len(game.players)} players.")
    snapshot1 = tracemalloc.take_snapshot()
    del game
    gc.collect()
    snapshot2 = tracemalloc.take_snapshot()
    tidy()
    top_stats = snapshot2.compare_to(snapshot1, 'lineno')
    print("\n[ Top 10 memory differences after del game ]")
    for stat in top_stats[:10]:
        print(stat)

if __name__ == "__main__":
    run_game()
