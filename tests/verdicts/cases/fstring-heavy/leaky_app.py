import tracemalloc
import gc
import weakref

TITLE = "The Big Game"
N_PLAYERS = 5
TOP = 10

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

    def __repr__(self):
        return f"Game({self.name!r}, players={len(self.players)})"

class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = weakref.ref(game)

    def __repr__(self):
        g = self.game()
        return f"Player({self.name!r}, game={g.name if g else None!r})"

def run_game():
    tracemalloc.start()

    game = Game(f"{TITLE}")
    for i in range(N_PLAYERS):
        player = Player(f"Player-{i}", game)
        game.players.append(player)

    print(f"Game '{game.name}' has {len(game.players)} players.")
    print(f"{'-' * 40}")
    for p in game.players:
        print(f"  {p!r:>40}")

    snapshot1 = tracemalloc.take_snapshot()

    del game, p
    gc.collect()

    snapshot2 = tracemalloc.take_snapshot()
    top_stats = snapshot2.compare_to(snapshot1, 'lineno')

    print(f"\n[ Top {TOP} memory differences after del game ]")
    for n, stat in enumerate(top_stats[:TOP], 1):
        print(f"{stat}")
    print(f"{'-' * 40}\n{player!r}")

if __name__ == "__main__":
    run_game()
