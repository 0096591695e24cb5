import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { validateDnsName } from '../validation/dns';
import { IsPresent, IsStringField, Satisfies } from '../validation/k8s-decorators';

/** A reference to a Network in the same namespace. */
@ApiSchema({ name: 'NetworkReference' })
export class NetworkRefDto {
  @ApiProperty({
    description: 'Name of the Network (a DNS-1123 subdomain).',
    example: 'network-sample',
  })
  @Satisfies('dnsSubdomain', (field, value) => validateDnsName(field, value as string, 'subdomain'))
  @IsStringField()
  @IsPresent('must specify name')
  name!: string;
}

/** A reference to a NATGateway in the same namespace. */
@ApiSchema({ name: 'NATGatewayReference' })
export class NATGatewayRefDto {
  @ApiProperty({
    description: 'Name of the NATGateway (a DNS-1123 label).',
    example: 'natgateway-sample',
  })
  @Satisfies('dnsLabel', (field, value) => validateDnsName(field, value as string, 'label'))
  @IsStringField()
  @IsPresent('must specify name')
  name!: string;
}
