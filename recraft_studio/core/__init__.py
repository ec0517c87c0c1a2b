"""What every page shares: the layout's context, the demo data command, dev runner."""
