from wamkit.cli import main

main()
