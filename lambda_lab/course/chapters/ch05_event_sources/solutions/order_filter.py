# A FilterCriteria pattern for an SQS mapping: the rules for the message's JSON content go under
# "body"; every field named must match (AND), and each field's value is a list of rules (OR).
pattern = {
    "body": {
        "type": ["order"],
        "total": [{"numeric": [">", 100]}],
        "country": ["FR"],
    }
}
