def fix_s3(ec2, net):
    """Let a function in net["subnet"] reach S3, through the VPC's S3 gateway endpoint.
    The subnet net["batch_subnet"] must keep its access."""
    vpc = [{"Name": "vpc-id", "Values": [net["vpc"]]}]
    # 1. the endpoint is associated with the batch subnet's route table only: add the app's
    endpoint = ec2.describe_vpc_endpoints(Filters=vpc)["VpcEndpoints"][0]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"],
                            AddRouteTableIds=[net["route_table"]])
    # 2. the subnet's network ACL denies outbound TCP 443 (rule 90, before the allow at 100)
    acl = ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [net["subnet"]]}])["NetworkAcls"][0]
    for entry in acl["Entries"]:
        if entry["Egress"] and entry["RuleAction"] == "deny" and entry["RuleNumber"] < 32767:
            ec2.delete_network_acl_entry(NetworkAclId=acl["NetworkAclId"],
                                         RuleNumber=entry["RuleNumber"], Egress=True)
