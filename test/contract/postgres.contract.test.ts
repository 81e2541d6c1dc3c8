import { runContractSuite } from './suite';
import { postgresTarget } from './targets';

runContractSuite(postgresTarget());
