"""Week 16 Day 2 - fixing the Game/Player leak."""
import gc
import tracemalloc
import weakref


class Game:
    def __init__(self, name):
        self.name = name
        self.players = []


class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = weakref.ref(game)


def build_game(title, size):
    game = Game(title)
    for i in range(size):
        game.players.append(Player(f"Player-{i}", game))
    return game


def show_differences(before, after, limit=10):
    print("\n[ Top 10 memory differences after del game ]")
    for stat in after.compare_to(before, 'lineno')[:limit]:
        print(stat)


def simulate():
    tracemalloc.start()
    game = build_game("The Big Game", 5)
    print(f"Game '{game.name}' has {len(game.players)} players.")
    before = tracemalloc.take_snapshot()
    del game
    gc.collect()
    after = tracemalloc.take_snapshot()
    show_differences(before, after)


def main():
    simulate()


if __name__ == "__main__":
    main()
