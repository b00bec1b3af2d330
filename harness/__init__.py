"""The harness: resolve a Hub model, add a head, fine-tune with Trainer, evaluate, write result cards.

Empty until the harness issue lands; the package exists so that the installed layout is final.
"""
