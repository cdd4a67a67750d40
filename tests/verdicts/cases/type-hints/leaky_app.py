from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import List, Optional


class Game:
    def __init__(self, name: str) -> None:
        self.name: str = name
        self.players: List[Player] = []


class Player:
    def __init__(self, name: str, game: Game) -> None:
        self.name: str = name
        self.game: weakref.ReferenceType[Game] = weakref.ref(game)

    def get_game(self) -> Optional[Game]:
        return self.game()


def run_game() -> None:
    # Start tracking memory allocations
    tracemalloc.start()

    # Create a game and players
    game: Game = Game("The Big Game")
    for i in range(5):
        player: Player = Player(f"Player-{i}", game)
        game.players.append(player)

    print(f"Game '{game.name}' has {len(game.players)} players.")

    # Take a snapshot of memory usage
    snapshot1: tracemalloc.Snapshot = tracemalloc.take_snapshot()

    del game
    gc.collect()  # Manually trigger the GC

    # Take a second snapshot to compare
    snapshot2: tracemalloc.Snapshot = tracemalloc.take_snapshot()

    # Compare the two snapshots
    top_stats: List[tracemalloc.StatisticDiff] = snapshot2.compare_to(snapshot1, "lineno")

    print("\n[ Top 10 memory differences after del game ]")
    for stat in top_stats[:10]:
        print(stat)


if __name__ == "__main__":
    run_game()
