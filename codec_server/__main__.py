"""``python -m codec_server``."""

from codec_server.app import main

main()
