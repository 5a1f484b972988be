print("mstrain-dist")
