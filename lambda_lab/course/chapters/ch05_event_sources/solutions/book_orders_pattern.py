# Every field named must match (AND); each value is a list of rules (OR). "over 100" is a
# numeric rule, "starts with" a prefix rule; the order's own fields are under "detail".
pattern = {
    "source": ["shop.orders"],
    "detail-type": ["OrderPlaced"],
    "detail": {
        "total": [{"numeric": [">", 100]}],
        "sku": [{"prefix": "BOOK-"}],
    },
}
