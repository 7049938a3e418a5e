from aws_lambda_powertools.metrics import MetricUnit


def record_order(metrics, order):
    # One more order placed, by payment method: the metric OrdersPlaced (Count, 1) with the
    # dimension payment (few distinct values: card, paypal, ...). Metrics(service=...) already
    # adds the service dimension. The order id has a new value every time: as a dimension it
    # would make one metric per order, so it goes into the EMF document as metadata, where a
    # log search (or CloudWatch Logs Insights) finds it.
    metrics.add_dimension(name="payment", value=order["payment"])
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="order_id", value=order["id"])
