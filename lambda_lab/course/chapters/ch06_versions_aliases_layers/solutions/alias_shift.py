def shift(lam, name, alias, new_version, steps):
    # While shifting, the alias keeps pointing at the old version and routes `weight` (a fraction
    # from 0 to 1) of the invocations to the new one. UpdateAlias without FunctionVersion keeps
    # the version the alias points to.
    for weight in steps:
        lam.update_alias(FunctionName=name, Name=alias,
                         RoutingConfig={"AdditionalVersionWeights": {new_version: weight}})
    # Finally point the alias at the new version and remove the routing: a version cannot be
    # both the alias's version and its additional version.
    lam.update_alias(FunctionName=name, Name=alias, FunctionVersion=new_version,
                     RoutingConfig={"AdditionalVersionWeights": {}})
