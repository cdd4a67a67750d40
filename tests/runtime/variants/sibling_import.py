import sys
import os
import helper_mod
from helper_mod import make_players

print("argv:", sys.argv)
print("path0 is script dir:", sys.path[0] == os.path.dirname(os.path.realpath(__file__)))
print("name:", __name__, "file:", os.path.basename(__file__))
print("helper:", helper_mod.VALUE)
print("env clean:", not any(k.startswith("GRADER_PROBE") for k in os.environ))


class Game:
    def __init__(self, name):
        self.name = name
        self.players = []


class Player:
    def __init__(self, name, game):
        self.name = name
        self.game = game


if __name__ == "__main__":
    g = make_players(Game, Player)
    print("players:", len(g.players))
