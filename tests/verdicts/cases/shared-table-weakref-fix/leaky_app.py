import tracemalloc
import gc
import weakref

# shared, read-only rules table, built once at import time
RULES = [(i, "rule") for i in range(60000)]

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

class Player:
    def __init__(self, name, game):
        self.name = name
        # Fixed: a weak reference does not keep the Game alive, so no cycle.
        self.game = weakref.ref(game)
        self.rules = RULES

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

    # Now the game really is cleaned up here
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
