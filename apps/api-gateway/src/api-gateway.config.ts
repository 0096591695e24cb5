import { Expose, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BaseConfig } from '@natgw/platform';

/** Configuration of the api-gateway service. */
export class ApiGatewayConfig extends BaseConfig {
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'API_PORT must be between 1 and 65535' })
  @Max(65535, { message: 'API_PORT must be between 1 and 65535' })
  @IsInt({ message: 'API_PORT must be an integer' })
  API_PORT = 8080;

  /** Without AUTH_TOKENS_FILE the API only binds to loopback. */
  @Expose()
  @Matches(/^[0-9A-Fa-f:.]+$|^localhost$/, { message: 'API_HOST must be an IP address or localhost' })
  API_HOST = '127.0.0.1';

  @Expose()
  @IsOptional()
  @IsString({ message: 'AUTH_TOKENS_FILE must be a file path' })
  AUTH_TOKENS_FILE?: string;
}
