import tracemalloc
import gc
import weakref
from dataclasses import InitVar, dataclass, field
from typing import List, Optional


@dataclass
class Game:
    name: str
    players: List["Player"] = field(default_factory=list)


@dataclass
class Player:
    name: str
    game: InitVar["Game"]
    _game_ref: "weakref.ReferenceType" = field(init=False, repr=False, compare=False)

    def __post_init__(self, game):
        # keep only a weak reference to the game
        self._game_ref = weakref.ref(game)

    def current_game(self) -> Optional["Game"]:
        return self._game_ref()


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

    # Compare the two snapshots
    top_stats = snapshot2.compare_to(snapshot1, 'lineno')

    print("\n[ Top 10 memory differences after del game ]")
    for stat in top_stats[:10]:
        print(stat)


if __name__ == "__main__":
    run_game()
