"""The codec server process: staff sign in, their decisions are stamped, they read what they may."""
