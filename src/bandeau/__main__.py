from bandeau.cli import main

main()
