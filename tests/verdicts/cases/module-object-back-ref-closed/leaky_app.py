import tracemalloc
import gc
import types
import weakref

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

    def close(self):
        # done with the game: let every Player drop its box
        for p in self.players:
            p.box = None

class Player:
    def __init__(self, name, game):
        self.name = name
        self.ref = weakref.ref(game)
        # a little namespace of per-player state
        self.box = types.ModuleType("box")
        self.box.game = game

def run_game():
    # Start tracking memory allocations
    tracemalloc.start()

    # Create a game and players
    game = Game("The Big Game")
    for i in range(5):
        player = Player(f"Player-{i}", game)
        game.players.append(player)

    print(f"Game '{game.name}' has {len(game.players)} players.")

    # Take a snapshot of memory usage
    snapshot1 = tracemalloc.take_snapshot()

    game.close()
    del game
    gc.collect() # Manually trigger the GC

    # Take a second snapshot to compare
    snapshot2 = tracemalloc.take_snapshot()

    # Compare the two snapshots
    top_stats = snapshot2.compare_to(snapshot1, 'lineno')

    print("\n[ Top 10 memory differences after del game ]")
    for stat in top_stats[:10]:
        print(stat)

if __name__ == "__main__":
    run_game()
