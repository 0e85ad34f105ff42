from rotation.cli.main import main

main()
