"""稿酬: honorarium rates, the honoraria of each article's authors, payment batches and 样刊."""
