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
        self.game = weakref.ref(game

def run_game():
    tracemalloc.start()
    game = Game("The Big Game")

if __name__ == "__main__":
    run_game()
