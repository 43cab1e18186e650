"""`make bench`: see __main__.py. Split along its sections: paths, figures, processes, training,
load, serving, accuracy, report."""
