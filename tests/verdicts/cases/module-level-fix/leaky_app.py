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

# No function this time, everything at the top level of the script.
tracemalloc.start()

game = Game("The Big Game")
for i in range(5):
    player = Player(f"Player-{i}", game)
    game.players.append(player)

print(f"Game '{game.name}' has {len(game.players)} players.")

snapshot1 = tracemalloc.take_snapshot()

# globals live until the end of the script, so drop both names
del game
del player
gc.collect()

snapshot2 = tracemalloc.take_snapshot()
top_stats = snapshot2.compare_to(snapshot1, 'lineno')

print("\n[ Top 10 memory differences after del game ]")
for stat in top_stats[:10]:
    print(stat)
