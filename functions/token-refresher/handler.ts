import { logger } from '../../shared/logger';

// Placeholder until the token service lands.
export const handler = async (): Promise<void> => {
  logger.debug('token refresher: nothing to refresh yet');
};
