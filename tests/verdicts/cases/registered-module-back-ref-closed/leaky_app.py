import tracemalloc
import gc
import sys
import types
import weakref

# one small registry module per seat, made up front
SEATS = []
for _i in range(5):
    _m = types.ModuleType("seat%d" % _i)
    _m.game = None
    sys.modules[_m.__name__] = _m
    SEATS.append(_m)

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

    def close(self):
        for p in self.players:
            p.seat.game = None

class Player:
    def __init__(self, name, game):
        self.name = name
        self.ref = weakref.ref(game)
        self.seat = SEATS[len(game.players)]
        self.seat.game = game          # strong back-reference, in a registered module

def run_game():
    tracemalloc.start()
    game = Game("The Big Game")
    for i in range(5):
        player = Player(f"Player-{i}", game)
        game.players.append(player)
    print(f"Game '{game.name}' has {len(game.players)} players.")
    snapshot1 = tracemalloc.take_snapshot()
    game.close()
    del game
    gc.collect()
    snapshot2 = tracemalloc.take_snapshot()
    top_stats = snapshot2.compare_to(snapshot1, 'lineno')
    print("\n[ Top 10 memory differences after del game ]")
    for stat in top_stats[:10]:
        print(stat)

if __name__ == "__main__":
    run_game()
