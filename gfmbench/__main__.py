from gfmbench.cli import main

raise SystemExit(main())
