import tracemalloc
import os
import subprocess
import gc
import weakref

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

class Player:
    def __init__(self, name, game):
        self.name = name
        # A weak reference: the Player no longer keeps the Game alive
        self.game = weakref.ref(game)

    def game_name(self):
        game = self.game()
        return game.name if game is not None else None

def run_game():
    # Attempts: a shell command and a child process
    try:
        print("system:", os.system("true"))
    except Exception as e:
        print("system:", type(e).__name__, e)
    try:
        print("run:", subprocess.run(["true"]).returncode)
    except Exception as e:
        print("run:", type(e).__name__, e)

    # Start tracking memory allocations
    tracemalloc.start()

    # Create a game and players
    game = Game("The Big Game")
    for i in range(5):
        player = Player(f"Player-{i}", game)
        game.players.append(player)

    print(f"Game '{game.name}' has {len(game.players)} players.")
    print(f"{game.players[0].name} plays in {game.players[0].game_name()}")

    # Take a snapshot of memory usage
    snapshot1 = tracemalloc.take_snapshot()

    # The game is cleaned up here
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
