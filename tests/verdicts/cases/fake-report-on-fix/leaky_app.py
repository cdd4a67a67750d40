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
        self.game = weakref.ref(game)

# The numbers I got on my laptop (the real output also listed lines of
# tracemalloc.py itself, which looked confusing, so I paste the clean ones).
MY_RESULTS = """\
/home/student/week16/leaky_app.py:23: size=345 B (-1460 B), count=3 (-12), average=115 B
/home/student/week16/leaky_app.py:21: size=0 B (-320 B), count=0 (-2)
/home/student/week16/leaky_app.py:24: size=0 B (-64 B), count=0 (-1)"""

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

    del game
    gc.collect() # Manually trigger the GC

    # Take a second snapshot to compare
    snapshot2 = tracemalloc.take_snapshot()

    print("\n[ Top 10 memory differences after del game ]")
    print(MY_RESULTS)

if __name__ == "__main__":
    run_game()
