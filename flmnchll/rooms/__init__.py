"""Watch-party rooms: membership, playback state, votes, PINs, the PeerJS pool, TURN credentials and clock."""
