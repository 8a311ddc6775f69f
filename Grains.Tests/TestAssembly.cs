// Collections run one after another: the cluster and process tests time retries and delays, and
// on a 2-core machine a parallel 10 000-job run would skew those clocks.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
