import MSTensor
