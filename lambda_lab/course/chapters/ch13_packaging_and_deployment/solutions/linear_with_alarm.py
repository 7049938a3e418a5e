# Linear: the same 10 % more at every 1-minute interval, until the new version has it all;
# Alarms: the CloudWatch alarms CodeDeploy watches, by name (a list, even for one).
preference = {
    "Type": "Linear10PercentEvery1Minute",
    "Alarms": ["orders-api-errors"],
}
