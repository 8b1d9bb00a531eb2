"""Results store: one JSON record per variant, written atomically, read by one reader
(``record.read_record``), and the records as a frame (``frame``)."""
