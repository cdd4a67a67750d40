import tracemalloc
import gc


class Game:
    def __init__(self, name):
        self.name = name
        self.players = []


class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = game


def run_game():
    tracemalloc.start(10)
    games = []
    for g in range(40):
        game = Game("Game %d" % g)
        for i in range(250):
            game.players.append(Player("P%d-%d" % (g, i), game))
        games.append(game)
    snapshots = []
    for k in range(20):
        snapshots.append(tracemalloc.take_snapshot())
        games.pop()
        gc.collect()
    print("snapshots:", len(snapshots))


if __name__ == "__main__":
    run_game()
