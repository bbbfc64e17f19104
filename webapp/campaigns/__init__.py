"""Email campaigns: composed in the console or through the API, sent to labels, segments and
event registrants through the work engine, tracked and reported."""
