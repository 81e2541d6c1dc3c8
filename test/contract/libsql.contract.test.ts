import { runContractSuite } from './suite';
import { libsqlTarget } from './targets';

runContractSuite(libsqlTarget());
