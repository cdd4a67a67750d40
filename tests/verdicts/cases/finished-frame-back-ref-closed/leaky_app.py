import tracemalloc
import gc
import sys
import weakref

def _made_here():
    # debugging aid: the frame a Player was made in
    return sys._getframe()

class Game:
    def __init__(self, name):
        self.name = name
        self.players = []

    def close(self):
        for p in self.players:
            p.origin = None

class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = weakref.ref(game)
        self.origin = _made_here()

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
