import BasinCore
