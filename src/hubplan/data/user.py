def load_csv_network(*a, **k):
    raise NotImplementedError
