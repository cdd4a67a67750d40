VALUE = 42


def make_players(game_cls, player_cls):
    game = game_cls("Helper Game")
    for i in range(3):
        game.players.append(player_cls("P%d" % i, game))
    return game
