import tracemalloc
import gc
import weakref

class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = weakref.ref(game)

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

tracemalloc.start()

game = Game("The Big Game")
for i in range(5):
    player = Player("Player %d" % i, game)
    game.players.append(player)

snapshot1 = tracemalloc.take_snapshot()
del game
gc.collect()
snapshot2 = tracemalloc.take_snapshot()

print("[ Top 10 memory differences after del game ]")
for stat in snapshot2.compare_to(snapshot1, 'lineno')[:10]:
    print(stat)
