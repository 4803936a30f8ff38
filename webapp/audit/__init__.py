"""Who did what to which reading (views, downloads, deletions), and where requests come from."""
