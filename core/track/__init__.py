"""The track record: tracked saved screens recorded after each universe sync and resolved at expiry."""
