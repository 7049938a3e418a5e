def reach_sqs(ec2, net):
    """Let a function in net["subnet"] (security group net["function_sg"]) reach SQS,
    without a NAT gateway. net also holds "vpc", "cidr" and "route_table"."""
    endpoint_sg = ec2.create_security_group(
        GroupName="sqs-endpoint", Description="HTTPS from the VPC", VpcId=net["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": net["cidr"]}]}])
    ec2.create_vpc_endpoint(
        VpcId=net["vpc"], VpcEndpointType="Interface",
        ServiceName="com.amazonaws.us-east-1.sqs",
        SubnetIds=[net["subnet"]], SecurityGroupIds=[endpoint_sg],
        PrivateDnsEnabled=True)  # the SDK's sqs.us-east-1.amazonaws.com → the endpoint
