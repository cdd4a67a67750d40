import tracemalloc
import gc
import weakref

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

class Player:
    def __init__(self, name, game):
        self.name = name
        # A weak reference: the Player can reach its Game without keeping it alive.
        self.game = weakref.ref(game)

def run_game():
    # Start tracking memory allocations
    tracemalloc.start()

    # Create a game and players
    game = Game("The Big Game")
    for i in range(5):
        player = Player(f"Player-{i}", game)
        game.players.append(player)

    print(f"Game '{game.name}' has {len(game.players)} players.")
    # a set of strings prints in another order under another hash seed
    nick = ["ada", "bo", "cy", "di", "ed"]
    names = {nick[int(p.name.split("-")[1])] for p in game.players}
    print("Players:", names)
    for name in names:
        print(" -", name)

    # Take a snapshot of memory usage
    snapshot1 = tracemalloc.take_snapshot()

    # No cycle any more: the Game is freed right here, by reference counting.
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
